// pg-boss 10.4.2 burn-down, the same shape as ../shared/anchors/worker/graphile_burn.js:
// N no-op jobs inserted before the workers start, then CONCURRENCY workers (one work() call
// each, as pg-boss 10 has no teamSize) fetching BATCH jobs at a time; prints jobs/s until every
// job is completed. Usage (after `npm install pg-boss@10.4.2` beside it):
//   node pgboss_burn.js URL N [CONCURRENCY] [BATCH]
const PgBoss = require("pg-boss");
const { Pool } = require("pg");
const url = process.argv[2], n = +process.argv[3];
const conc = +(process.argv[4] || 8), batch = +(process.argv[5] || 1);
(async () => {
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
  boss.on("error", (e) => console.error(e));
  await boss.start();
  await boss.deleteQueue("noop").catch(() => {});
  await boss.createQueue("noop");
  const pool = new Pool({ connectionString: url });
  const run = `${process.pid}-${Date.now()}`;  // completed jobs of earlier runs stay in the table
  for (let sent = 0; sent < n; sent += 5000) {
    const jobs = [];
    for (let i = sent; i < Math.min(n, sent + 5000); ++i) jobs.push({ name: "noop", data: { i, run } });
    await boss.insert(jobs);
  }
  const t0 = Date.now();
  for (let w = 0; w < conc; ++w) {
    await boss.work("noop", { batchSize: batch, pollingIntervalSeconds: 0.5 }, async () => {});
  }
  for (;;) {
    const r = await pool.query(
      "select count(*)::int c from pgboss.job where name = 'noop' and state = 'completed'" +
        " and data ->> 'run' = $1", [run]);
    if (r.rows[0].c >= n) break;
    // Not more often: the count reads every job of the run, which at 100,000 would load the
    // server the workers share.
    await new Promise((r) => setTimeout(r, 250));
  }
  const dt = (Date.now() - t0) / 1000;
  console.log(`pg-boss 10.4.2: ${n} jobs, concurrency ${conc}, batch ${batch}: all completed after ${dt.toFixed(2)} s = ${(n / dt).toFixed(0)} jobs/s`);
  await boss.stop({ graceful: false, wait: false });
  await pool.end();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
