-- The gapless counter of one series, taken as issuing takes it: one row, locked by the update.
BEGIN;
UPDATE pgb_counters SET last_value = last_value + 1
  WHERE organization_id = '00000000-0000-0000-0000-000000000001' AND series = 'default'
  RETURNING last_value;
END;
