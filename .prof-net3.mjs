import pg from 'pg';
const c = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/test' });
await c.connect();
await c.query('create temp table al (subnet_id varchar(36) not null, ip_address varchar(64) not null, ip_int bigint not null, primary key (subnet_id, ip_address))');
await c.query('create unique index al_si on al (subnet_id, ip_int)');
await c.query(`insert into al select 'sub', 'x'||g, 167772160+g from generate_series(2, 4000) g`);
const gap = `select case when not exists (select 1 from al where subnet_id = $1 and ip_int = $2) then cast($2 as bigint)
 else (select min(a.ip_int + 1) from al a where a.subnet_id = $1 and a.ip_int >= $2 and a.ip_int < $3 and not exists (select 1 from al b where b.subnet_id = a.subnet_id and b.ip_int = a.ip_int + 1)) end as ip`;
const win = `select case when not exists (select 1 from al where subnet_id = $1 and ip_int = $2) then cast($2 as bigint)
 else (select t.ip_int + 1 from (select ip_int, lead(ip_int) over (order by ip_int) as nxt from al where subnet_id = $1 and ip_int >= $2 and ip_int <= $3) t
   where (t.nxt is null or t.nxt <> t.ip_int + 1) and t.ip_int < $3 order by t.ip_int limit 1) end as ip`;
for (const [name, q] of [['gap', gap], ['win', win], ['gap', gap], ['win', win]]) {
  const t = performance.now();
  let r;
  for (let i = 0; i < 50; i++) r = await c.query(q, ['sub', 167772162, 167776254]);
  console.log(name, ((performance.now() - t) / 50).toFixed(2), 'ms', r.rows[0]);
}
await c.query('analyze al');
for (const [name, q] of [['gap', gap], ['win', win]]) {
  const t = performance.now();
  let r;
  for (let i = 0; i < 50; i++) r = await c.query(q, ['sub', 167772162, 167776254]);
  console.log('analyzed', name, ((performance.now() - t) / 50).toFixed(2), 'ms', r.rows[0]);
}
await c.end();
