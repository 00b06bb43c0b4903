-- How each run executed (the README notes that summation order moves a run's final accuracy), and why a
-- resume did not continue from the newest checkpoint.
ALTER TABLE runs ADD COLUMN backend VARCHAR;       -- local | ray
ALTER TABLE runs ADD COLUMN worker VARCHAR;        -- in-process, worker N, or a Ray node
ALTER TABLE runs ADD COLUMN attempt INTEGER;       -- 1 + resubmissions after a lost worker or node
ALTER TABLE runs ADD COLUMN stacked_with VARCHAR[];  -- run ids trained as one stacked network with it
ALTER TABLE runs ADD COLUMN precision VARCHAR;     -- fp32 | tf32 | bf16
ALTER TABLE runs ADD COLUMN note VARCHAR;          -- e.g. "checkpoint unreadable; continuing from epoch 4"
