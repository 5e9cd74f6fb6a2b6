'use strict';
// SPDX-License-Identifier: MIT
// Benchmark fixture, not part of the product: the basic-info guest lookup written the way a
// typical Node.js service would write it (Fastify + node-postgres, a prepared statement, a pool
// of 10 connections), as the "peer" baseline of bench/run. See bench/README.md ("The baselines'
// fixtures") for what it does and does not do, so that the guestd/peer ratio is read fairly.
//
// Environment:
//   PEER_HOST (127.0.0.1), PEER_PORT (required), PEER_WORKERS (1 or 2: node cluster workers)
//   PGHOST (unix socket directory), PGDATABASE, PGUSER: the database, read by node-postgres
//   PGOPTIONS (-c jit=off): session settings, as guestd's own
//   PEER_POOL (10): pg.Pool size per worker
//   PEER_TOKEN: if set, every /v1 request must carry "Authorization: Bearer <PEER_TOKEN>"
//               (a plain string comparison: no hashing, no key table, no roles)

const cluster = require('node:cluster');
const crypto = require('node:crypto');

const host = process.env.PEER_HOST || '127.0.0.1';
const port = Number(process.env.PEER_PORT);
const workers = Number(process.env.PEER_WORKERS || 1);
const poolSize = Number(process.env.PEER_POOL || 10);
const token = process.env.PEER_TOKEN || '';

if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('peer: PEER_PORT must be a TCP port');
  process.exit(2);
}
if (workers !== 1 && workers !== 2) {
  console.error('peer: PEER_WORKERS must be 1 or 2');
  process.exit(2);
}

if (workers > 1 && cluster.isPrimary) {
  // The primary only forks and forwards the stop signal; the workers share the listening socket.
  for (let i = 0; i < workers; i++) cluster.fork();
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let alive = workers;
  let failed = false;
  cluster.on('exit', (w, code, signal) => {
    if (!stopping) {
      // a benchmark must not quietly go on with one worker less
      console.error(`peer: worker ${w.process.pid} died (${signal || code}); stopping`);
      failed = true;
      stop();
    }
    if (--alive === 0) process.exit(failed ? 1 : 0);
  });
} else {
  serve();
}

function serve() {
  const { Pool } = require('pg');
  const fastify = require('fastify')({ logger: false });

  // jit = off: the session setting guestd's connections use (src/db/conn.c), so that both run the
  // statement the same way (PGOPTIONS, if set, replaces it)
  const pool = new Pool({ max: poolSize, options: process.env.PGOPTIONS || '-c jit=off' });

  // The same basic-info columns, in the same form, as guestd's guest representation
  // (GUEST_COLUMNS and GUEST_REFS in src/db/statements.c): timestamps through guestd's own
  // rfc3339() and the external references as one JSON array. A named query is prepared once per
  // connection by node-postgres and then executed by name.
  const byId = {
    name: 'peer_guest_basic',
    text:
      'SELECT g.id::text AS id, g.version, g.family_name, g.given_name, g.gender,' +
      ' g.birth_date::text AS birth_date, g.nationality, g.ethnicity, g.native_place, g.address,' +
      ' g.phone, g.email, g.language, g.id_document,' +
      " (SELECT coalesce(jsonb_agg(jsonb_build_object('system', x.system, 'id', x.external_id)" +
      "   ORDER BY x.system, x.external_id), '[]') FROM guest_external_ref x WHERE x.guest_id = g.id)" +
      '   AS external_refs,' +
      ' g.vip_code, g.marketing_consent, g.legal_hold, g.notes,' +
      ' rfc3339(g.created_at) AS created_at, rfc3339(g.updated_at) AS updated_at' +
      ' FROM guest g WHERE g.id = $1::uuid AND g.deleted_at IS NULL',
  };

  // guestd answers an id that is not a uuid with 404 before asking the database; so does the peer
  const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  const expected = Buffer.from(`Bearer ${token}`);

  const problem = (reply, status, title) =>
    reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status });

  fastify.get('/healthz', async () => ({ status: 'ok' }));

  fastify.get('/v1/guests/:id', async (req, reply) => {
    if (token) {
      const got = Buffer.from(req.headers.authorization || '');
      if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected))
        return problem(reply, 401, 'Unauthorized');
    }
    const id = req.params.id;
    if (!UUID.test(id)) return problem(reply, 404, 'Not Found');
    const r = await pool.query({ ...byId, values: [id] });
    if (r.rowCount === 0) return problem(reply, 404, 'Not Found');
    const g = r.rows[0];
    reply.header('etag', `"${g.version}"`);
    return g;
  });

  const shutdown = () => {
    fastify.close().then(() => pool.end()).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  fastify.listen({ host, port }).catch((err) => {
    console.error(`peer: ${err.message}`);
    process.exit(1);
  });
}
