# hubbub server image. Build: `docker build -t hubbub .`  Run (README, "Docker"):
#   docker run -p 8080:8080 -p 40000-40199:40000-40199/udp -e HUBBUB_PUBLIC_IP=<address clients reach> \
#     -v hubbub-data:/data hubbub
# BASE_IMAGE lets a build use a local Debian-based Python 3.11 image where no registry is reachable.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/var/cache/hubbub-numba

WORKDIR /app
COPY pyproject.toml README.md ./
COPY auth ./auth
COPY store ./store
COPY mixer ./mixer
COPY rtc ./rtc
COPY sfu ./sfu
COPY web ./web
COPY bots ./bots
COPY bench ./bench
# importing mixer compiles its kernels once, here, into the numba cache (seconds), not at the first start
RUN pip install . \
    && python -c "import mixer" \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hubbub \
    && mkdir -p /data && chown hubbub:hubbub /data && chown -R hubbub:hubbub /var/cache/hubbub-numba

# The SQLite file and the generated secrets live here; keep it on a volume.
VOLUME ["/data"]
# Media: every WebRTC socket binds inside HUBBUB_UDP_PORTS (one port per participant), so
# `-p 40000-40199:40000-40199/udp` publishes all of it; HUBBUB_PUBLIC_IP (set at `docker run`)
# is the address clients reach, advertised instead of the container's own.
ENV HUBBUB_HOST=0.0.0.0 \
    HUBBUB_PORT=8080 \
    HUBBUB_DATA_DIR=/data \
    HUBBUB_UDP_PORTS=40000-40199
EXPOSE 8080/tcp 40000-40199/udp
USER hubbub
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:8080' + os.environ.get('HUBBUB_PATH_PREFIX', '') + '/health', timeout=2)"
# docker stop sends SIGTERM: hubbub stops accepting, closes connections and the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hubbub"]
CMD ["serve"]
