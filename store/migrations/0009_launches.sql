-- Sweeps launched from `gst tui`: how each launch (a `gst run` or `gst resume` child process) ended, and where
-- its stderr is kept. A launch that failed before its child registered the sweep (a bad data folder, a spec
-- error) has no `sweeps` row; this row is then its only record, and the runs browser lists it as failed.
CREATE TABLE launches (
    sweep_id     VARCHAR NOT NULL,
    started_at   TIMESTAMP NOT NULL,  -- UTC, when the child process started
    finished_at  TIMESTAMP,
    kind         VARCHAR NOT NULL CHECK (kind IN ('run', 'resume')),
    label        VARCHAR NOT NULL,    -- the preset's name or the spec file's stem
    command      VARCHAR NOT NULL,    -- as a user would type it
    status       VARCHAR NOT NULL CHECK (status IN ('done', 'failed', 'cancelled')),
    returncode   INTEGER,
    error        VARCHAR,             -- the last line of stderr of a failed launch
    log_path     VARCHAR,             -- <db>.d/logs/<sweep_id>.log
    PRIMARY KEY (sweep_id, started_at)
);
