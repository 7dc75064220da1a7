# hubbub server image: `docker build -t hubbub . && docker run -p 8080:8080 -v hubbub-data:/data hubbub`
FROM python:3.11-slim

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
COPY sfu ./sfu
COPY web ./web
COPY bots ./bots
# importing mixer compiles its kernels once, here, into the numba cache (seconds), not at the first start
RUN pip install . \
    && python -c "import mixer" \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hubbub \
    && mkdir -p /data && chown hubbub:hubbub /data && chown -R hubbub:hubbub /var/cache/hubbub-numba

# The SQLite file and the generated secrets live here; keep it on a volume.
VOLUME ["/data"]
ENV HUBBUB_HOST=0.0.0.0 \
    HUBBUB_PORT=8080 \
    HUBBUB_DATA_DIR=/data
EXPOSE 8080
USER hubbub
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:8080' + os.environ.get('HUBBUB_PATH_PREFIX', '') + '/health', timeout=2)"
# docker stop sends SIGTERM: hubbub stops accepting, closes connections and the database.
STOPSIGNAL SIGTERM
ENTRYPOINT ["hubbub"]
CMD ["serve"]
