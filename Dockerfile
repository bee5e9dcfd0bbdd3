# Nära: `nara run` in a slim image, as a non-root user, translations compiled at build time.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "Babel>=2.18,<2.19"
COPY pyproject.toml README.md babel.cfg ./
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
COPY locales ./locales
COPY catalogue ./catalogue
COPY tgserver ./tgserver
RUN pybabel compile --domain messages --directory locales --statistics \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 nara \
 && mkdir /data && chown nara:nara /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER nara
ENV NARA_DATA_DIR=/data \
    NARA_HTTP_HOST=0.0.0.0 \
    NARA_HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["nara", "run"]
