-- Adding a line, the same work as POST /v1/invoices/{id}/line-items: the idempotency record, the
-- invoice locked, the line inserted, the running sums moved, the answer stored; one transaction.
\set invoice random(1, 16)
\set key random(1, 9000000000000000000)
BEGIN;
INSERT INTO pgb_idempotency (organization_id, scope, key, fingerprint)
  VALUES ('00000000-0000-0000-0000-000000000001', 'line_item:' || :invoice, 'k' || :key, 'f');
SELECT next_line_index FROM pgb_invoices
  WHERE organization_id = '00000000-0000-0000-0000-000000000001' AND id = :invoice FOR UPDATE \gset
INSERT INTO pgb_lines VALUES ('00000000-0000-0000-0000-000000000001', gen_random_uuid(), :invoice,
  :next_line_index, 'Item', 3, 12.345, 37.04, 37.04, 'k' || :key, now());
UPDATE pgb_invoices SET subtotal_amount = subtotal_amount + 37.04, total_amount = total_amount + 37.04,
  next_line_index = next_line_index + 1, running_sums = '{"cells": []}', updated_at = now()
  WHERE organization_id = '00000000-0000-0000-0000-000000000001' AND id = :invoice;
UPDATE pgb_idempotency SET status_code = 201, body = '{"id": "x", "name": "Item", "quantity": "3"}'
  WHERE organization_id = '00000000-0000-0000-0000-000000000001' AND scope = 'line_item:' || :invoice
  AND key = 'k' || :key;
END;
