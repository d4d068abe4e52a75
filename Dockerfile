# Grounded API. CPU torch comes first from the PyTorch CPU index (from PyPI, pip would pick a multi-GB CUDA build),
# and a constraint keeps `pip install .` from replacing it. Everything the service loads ships in pip packages,
# so the container runs offline. State (keys, audit log, uploads, traces, embedded store) lives in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GROUNDED_HOME=/data

WORKDIR /app

RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu \
    && echo "torch==2.13.0" > /tmp/constraints.txt

COPY . .
RUN pip install --constraint /tmp/constraints.txt . \
    && useradd --system --uid 10001 --home-dir /data grounded \
    && mkdir -p /data && chown grounded /data

USER grounded
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["grounded", "serve", "--host", "0.0.0.0"]
