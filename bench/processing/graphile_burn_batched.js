// graphile-worker 0.16.6 burn-down as ../shared/anchors/worker/graphile_burn.js measures it (N
// no-op jobs queued before the worker starts; `run` with the given concurrency, pollInterval
// 1000, logging off; the rate until the job table is empty), except the queueing: the anchor's
// one statement of N add_job calls does not finish at N = 100,000 (over 10 minutes), so this
// queues with graphile_worker.add_jobs, 5,000 job specs per statement. Queueing is not timed.
//   node graphile_burn_batched.js URL N [CONCURRENCY]   (graphile-worker@0.16.6 installed beside it)
const { run, makeWorkerUtils, Logger } = require("graphile-worker");
const { Pool } = require("pg");
const quiet = new Logger(() => () => {});
const url = process.argv[2], n = +process.argv[3], conc = +(process.argv[4] || 8);
const chunk = 5000;
(async () => {
  const utils = await makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  const pool = new Pool({ connectionString: url });
  await pool.query("delete from graphile_worker._private_jobs");
  const q0 = Date.now();
  for (let first = 1; first <= n; first += chunk) {
    await pool.query(
      "select count(*) from graphile_worker.add_jobs(array(select row('noop', json_build_object('i', g)," +
        " null, null, null, null, null, null)::graphile_worker.job_spec from generate_series($1::int, $2::int) g))",
      [first, Math.min(n, first + chunk - 1)]);
  }
  const queued = (Date.now() - q0) / 1000;
  let done = 0, runner = null;
  const t0 = Date.now();
  const finished = new Promise((resolve) => {
    run({ connectionString: url, concurrency: conc, noHandleSignals: true, logger: quiet, pollInterval: 1000,
          taskList: { noop: async () => { if (++done === n) resolve(); } } }).then((r) => { runner = r; });
  });
  await finished;
  const handled = (Date.now() - t0) / 1000;
  for (;;) {
    const r = await pool.query("select count(*)::int c from graphile_worker._private_jobs");
    if (r.rows[0].c === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const dt = (Date.now() - t0) / 1000;
  console.log(`graphile-worker 0.16.6 (add_jobs in chunks of ${chunk}, queued in ${queued.toFixed(1)} s): ${n} jobs, ` +
    `concurrency ${conc}: handlers done in ${handled.toFixed(2)} s, table empty after ${dt.toFixed(2)} s = ${(n / dt).toFixed(0)} jobs/s`);
  await runner.stop(); await pool.end(); await utils.release();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
