# syntax=docker/dockerfile:1
#
# iarss daemon image: a Rust builder stage and a small Debian runtime.
#
#   docker build -t iarss .
#   docker run -d --name iarss -p 8080:8080 -v iarss-data:/var/lib/iarss iarss
#   docker exec iarss iarss pages add --id news --domain news.example.com \
#       --feed https://news.example.com/ia.rss
#
# The SQLite database lives in the /var/lib/iarss volume. For PostgreSQL, pass
# -e IARSS_DATABASE_URL=postgres://user:password@host/db (several containers may share it).
# Any other key: -e IARSS_<SECTION>_<KEY>=…, or mount your own /etc/iarss/daemon.toml.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-${DEBIAN_RELEASE} AS builder
WORKDIR /build
# Dependencies first, in their own layer: it is reused while only the sources change.
COPY Cargo.toml Cargo.lock ./
COPY benches benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs \
    && cargo fetch --locked \
    && rm -rf src
COPY . .
RUN cargo build --release --locked --bin iarss \
    && install -m 0755 target/release/iarss /usr/local/bin/iarss

FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# ca-certificates: feeds are fetched over HTTPS and verified against the system's roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/iarss --shell /usr/sbin/nologin iarss \
    && install -d -o iarss -g iarss -m 0750 /var/lib/iarss \
    && install -d -m 0755 /etc/iarss
COPY --from=builder /usr/local/bin/iarss /usr/local/bin/iarss
COPY packaging/daemon.toml /etc/iarss/daemon.toml

# The same database for the daemon and for `docker exec … iarss <command>`; listen on every
# interface of the container so -p can publish the port.
ENV IARSS_DATABASE_URL=sqlite:///var/lib/iarss/iarss.db \
    IARSS_LISTEN=0.0.0.0:8080
USER iarss
WORKDIR /var/lib/iarss
VOLUME ["/var/lib/iarss"]
EXPOSE 8080

# No curl in the image: bash's /dev/tcp sends one HTTP request to /healthz and the check
# passes when the status line says 200. The port is taken from IARSS_LISTEN (8080 if unset);
# change the variable, not only the configuration file, to move the daemon.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "port=${IARSS_LISTEN##*:}; exec 3<>/dev/tcp/127.0.0.1/${port:-8080} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [ \"$status\" = 200 ]"]

# SIGTERM (docker stop) stops claiming and lets runs in flight finish within
# fetch.timeout + fetch.parse_budget (40 s by default): give it time, e.g. docker stop -t 60.
STOPSIGNAL SIGTERM
ENTRYPOINT ["iarss"]
CMD ["daemon", "--config", "/etc/iarss/daemon.toml"]
