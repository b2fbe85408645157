# todo-postgres:15 — PostgreSQL 15 from Debian's packages, the stand-in for
# the chart's default postgres:15-bookworm on machines where
# docker.io/library/postgres cannot be pulled. Same major version, same uid
# 999, PGDATA, entrypoint and stop signal (`cargo xtask` checks that
# contract on whichever of the two it runs). It follows the official
# image's interface (POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB /
# POSTGRES_HOST_AUTH_METHOD / POSTGRES_INITDB_ARGS, PGDATA, port 5432,
# /docker-entrypoint-initdb.d, arguments starting with `-` go to postgres),
# so testcontainers' Postgres module and the Helm chart can use it as is.
# checkov:skip=CKV_DOCKER_3: like the official image it starts as root to own PGDATA, then the entrypoint drops to `postgres`
# checkov:skip=CKV_DOCKER_2: the port is chosen at run time (-c port=N); clients (testcontainers, the chart) probe it themselves
# checkov:skip=CKV_DOCKER_7: DEBIAN_IMAGE defaults to a pinned local tag
ARG DEBIAN_IMAGE=todo-local/debian:bookworm
FROM ${DEBIAN_IMAGE}
# uid/gid 999 as in the official Debian-based image, so a pod spec written
# for it (runAsUser: 999, fsGroup: 999) fits this one too. The package
# then reuses this user instead of creating its own.
# No default cluster: the entrypoint creates one in PGDATA on first start.
RUN groupadd --system --gid 999 postgres \
    && useradd --system --gid postgres --uid 999 --home-dir /var/lib/postgresql --shell /bin/bash postgres \
    && mkdir -p /etc/postgresql-common/createcluster.d \
    && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/no-main-cluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" /usr/share/postgresql/15/postgresql.conf.sample \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql /docker-entrypoint-initdb.d \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 3777 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PG_MAJOR=15 \
    PGDATA=/var/lib/postgresql/data \
    LANG=C.UTF-8
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
# Smart shutdown would wait for clients; SIGINT is a fast, clean shutdown.
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["postgres"]
