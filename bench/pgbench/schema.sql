-- Tables for pgbench's same-work scripts: shaped like Billfold's (tenant key first, numeric amounts,
-- JSON running sums and stored answers), created in the benchmark's own database.
DROP TABLE IF EXISTS pgb_lines, pgb_invoices, pgb_idempotency, pgb_counters;
CREATE TABLE pgb_invoices (
  organization_id uuid NOT NULL, id int NOT NULL, status text NOT NULL DEFAULT 'draft',
  subtotal_amount numeric NOT NULL DEFAULT 0, total_amount numeric NOT NULL DEFAULT 0,
  next_line_index int NOT NULL DEFAULT 0, running_sums jsonb, updated_at timestamptz,
  PRIMARY KEY (organization_id, id));
CREATE TABLE pgb_lines (
  organization_id uuid NOT NULL, id uuid NOT NULL, invoice_id int NOT NULL, position int NOT NULL,
  name text NOT NULL, quantity numeric NOT NULL, unit_price numeric NOT NULL, subtotal_amount numeric NOT NULL,
  total_amount numeric NOT NULL, idempotency_key text NOT NULL, created_at timestamptz NOT NULL,
  PRIMARY KEY (organization_id, id));
CREATE INDEX ON pgb_lines (organization_id, invoice_id, position);
CREATE TABLE pgb_idempotency (
  organization_id uuid NOT NULL, scope text NOT NULL, key text NOT NULL, fingerprint text NOT NULL,
  status_code int, body jsonb, UNIQUE (organization_id, scope, key));
CREATE TABLE pgb_counters (
  organization_id uuid NOT NULL, series text NOT NULL, last_value bigint NOT NULL,
  PRIMARY KEY (organization_id, series));
INSERT INTO pgb_invoices (organization_id, id)
  SELECT '00000000-0000-0000-0000-000000000001', n FROM generate_series(1, 16) n;
INSERT INTO pgb_counters VALUES ('00000000-0000-0000-0000-000000000001', 'default', 0);
