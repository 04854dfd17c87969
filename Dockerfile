# Loa's image: `loa serve` as a non-root user, the database on the /data volume.
#   docker build -t loa .
#   docker run -d --name loa -v loa-data:/data -e LOA_TELEGRAM__TOKEN=... loa
# Extra settings: mount a TOML file and pass `--config /etc/loa/loa.toml serve`, or set LOA_* variables.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY migrations migrations
COPY migrations_pg migrations_pg
COPY config config
COPY locales locales
# the web desk's templates, style and script are built into the binary
COPY templates templates
# the demo's sample pack is built into the binary; the manifest names the benchmarks
COPY examples examples
COPY benches benches
RUN cargo build --release --locked --bin loa

FROM debian:bookworm-slim
# Debian's point releases replace package versions, so pinned versions would break the build;
# the base image's tag is what fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin loa \
 && mkdir -p /data /etc/loa /usr/share/loa \
 && chown loa:loa /data
COPY --from=build /src/target/release/loa /usr/local/bin/loa
# The defaults and migrations are built into the binary; these copies document them.
COPY config/default.toml /etc/loa/default.toml
COPY migrations /usr/share/loa/migrations
COPY migrations_pg /usr/share/loa/migrations_pg
ENV LOA_DATABASE__URL=sqlite:///data/loa.db \
    LOA_HTTP__LISTEN=0.0.0.0:9090 \
    LOA_TELEGRAM__WEBHOOK__LISTEN=0.0.0.0:8443
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9090 8443
ENTRYPOINT ["loa"]
CMD ["serve"]
