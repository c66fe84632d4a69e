# Atelier container: build with the Swift toolchain, run on slim Debian.
# The build stage runs the same Makefile targets as `make run` (deps → build → weights), so CI,
# which cannot run Docker here, exercises these exact steps.
#   docker build -t atelier . && docker run -p 8080:8080 -v atelier-data:/var/lib/atelier atelier
# For a CPU-specific build: docker build --build-arg ATELIER_CPU=skylake-avx512 -t atelier .

FROM swift:6.3-bookworm AS build
ARG ATELIER_CPU=
WORKDIR /src
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        make libpng-dev libjpeg-dev libz-dev libpq-dev python3 python3-pip ca-certificates
# (apt lists are kept in this stage: `make photos` fetches wallpapers with apt-get download)
COPY Package.swift Makefile ./
COPY scripts scripts
COPY Sources Sources
COPY Tests Tests
COPY weights weights
RUN ATELIER_CPU="$ATELIER_CPU" make weights photos SWIFT_FLAGS=--static-swift-stdlib MODELS=/opt/atelier/models \
        PHOTOS=/opt/atelier/training-photos \
    && cp .build/release/atelier /usr/local/bin/atelier

FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libpng16-16 libjpeg62-turbo zlib1g libpq5 libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/atelier atelier \
    && mkdir -p /var/lib/atelier && chown atelier /var/lib/atelier
COPY --from=build /usr/local/bin/atelier /usr/local/bin/atelier
COPY --from=build /opt/atelier/models /opt/atelier/models
COPY --from=build /opt/atelier/training-photos /opt/atelier/training-photos
ENV ATELIER_DATA=/var/lib/atelier \
    ATELIER_MODELS=/opt/atelier/models \
    ATELIER_TRAINING_PHOTOS=/opt/atelier/training-photos \
    ATELIER_PORT=8080
USER 10001
VOLUME /var/lib/atelier
EXPOSE 8080
# No curl in the slim image: bash's /dev/tcp speaks just enough HTTP for a health check.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/atelier"]
CMD ["serve"]
