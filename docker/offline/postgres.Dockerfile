# PostgreSQL 15 from Debian bookworm, laid out like postgres:15-bookworm: the server in
# /usr/lib/postgresql/15/bin (first on PATH), psql on PATH, user postgres with uid/gid 999.
ARG BASE
FROM ${BASE}
# postgresql-common first, told not to create a cluster: the lab runs initdb itself.
RUN groupadd -r -g 999 postgres \
 && useradd -r -g postgres -u 999 -d /var/lib/postgresql -s /bin/bash postgres \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 3777 /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
EXPOSE 5432
CMD ["postgres"]
