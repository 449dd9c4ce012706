#!/bin/sh
# Runs once, when the PostgreSQL container initialises its data directory (docker-entrypoint-initdb.d):
# the Synapse schema, the publication, and the synrep login role the relay and the worker use.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f /synrep-sql/schema.sql
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f /synrep-sql/publication.sql
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v synrep_password="$SYNREP_DB_PASSWORD" \
    -f /synrep-sql/replication-role.sql
