# A worker image for Dataflow (--sdk_container_image=...) or any portable Beam runner: Beam's Python
# SDK image (same Beam and Python as the launcher) with mathcorpus and its dependencies installed.
#   docker build -t REGION-docker.pkg.dev/PROJECT/REPO/mathcorpus:0.1 . && docker push ...
FROM apache/beam_python3.11_sdk:2.77.0
COPY . /opt/mathcorpus-src
RUN pip install --no-cache-dir /opt/mathcorpus-src && rm -rf /opt/mathcorpus-src
