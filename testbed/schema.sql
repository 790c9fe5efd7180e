-- The testbed's table: :keys projects spread evenly over :tenants tenants
-- (project k belongs to tenant k % tenants). Popularity is the load
-- generator's business: it asks for project k with Zipf(0.9) weight k^-0.9
-- and for tenant t's list with Zipf(1.1) weight (t+1)^-1.1, as
-- scenarios/default.ron does.
CREATE TABLE projects (
    id         bigint PRIMARY KEY,
    tenant_id  integer NOT NULL,
    name       text NOT NULL,
    body       text NOT NULL,
    version    integer NOT NULL,
    updated_at timestamptz NOT NULL
);

INSERT INTO projects
SELECT k, k % :tenants, 'project-' || k, repeat(md5(k::text), 4), 0,
       now() - k * interval '1 second'
FROM generate_series(1, :keys) AS k;

CREATE INDEX projects_tenant_updated ON projects (tenant_id, updated_at DESC);
VACUUM ANALYZE projects;
