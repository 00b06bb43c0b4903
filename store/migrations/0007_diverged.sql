-- A run whose loss became NaN or infinite ends as `diverged` (its error names the epoch). DuckDB cannot alter a
-- CHECK constraint, so `runs` is rebuilt with every column, in the same order, and every row. `seed` becomes
-- BIGINT: seeds go up to 2^32 - 1, what numpy and torch accept.
CREATE TABLE runs_0007 (
    run_id            VARCHAR PRIMARY KEY,
    sweep_id          VARCHAR NOT NULL,
    arm               VARCHAR NOT NULL,
    seed              BIGINT NOT NULL,
    status            VARCHAR NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'interrupted', 'diverged')),
    model             VARCHAR NOT NULL,
    dataset           VARCHAR NOT NULL,
    spec_json         VARCHAR NOT NULL,
    spec_hash         VARCHAR NOT NULL,
    label             VARCHAR,
    started_at        TIMESTAMP,
    finished_at       TIMESTAMP,
    final_test_acc    DOUBLE,
    best_test_acc     DOUBLE,
    final_train_acc   DOUBLE,
    params_total      BIGINT,
    params_remaining  BIGINT,
    epochs_total      INTEGER,
    epochs_done       INTEGER DEFAULT 0,
    resumed_from      INTEGER,  -- epochs completed before the last (re)start from a checkpoint
    device            VARCHAR,
    data_subset_hash  VARCHAR,
    host              VARCHAR,
    pid               INTEGER,
    error             VARCHAR,
    backend           VARCHAR,  -- local | ray
    worker            VARCHAR,  -- in-process, worker N, or a Ray node
    attempt           INTEGER,  -- 1 + resubmissions after a lost worker or node
    stacked_with      VARCHAR[],  -- run ids trained as one stacked network with it
    precision         VARCHAR,  -- fp32 | tf32 | bf16
    note              VARCHAR   -- e.g. "checkpoint unreadable; continuing from epoch 4"
);
INSERT INTO runs_0007 SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_0007 RENAME TO runs;
