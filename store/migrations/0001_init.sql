-- gst schema v1. Accuracies are percentages (0-100); `epoch` counts training epochs completed.
CREATE TABLE sweeps (
    sweep_id     VARCHAR PRIMARY KEY,
    preset       VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    preset_toml  VARCHAR NOT NULL,
    overrides    VARCHAR,  -- JSON list of the --set items applied on top of preset_toml
    gst_version  VARCHAR,
    git_rev      VARCHAR,
    host         VARCHAR,
    device       VARCHAR,
    title        VARCHAR,
    description  VARCHAR,
    expect       VARCHAR
);

CREATE TABLE runs (
    run_id            VARCHAR PRIMARY KEY,
    sweep_id          VARCHAR NOT NULL,
    arm               VARCHAR NOT NULL,
    seed              INTEGER NOT NULL,
    status            VARCHAR NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'interrupted')),
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
    error             VARCHAR
);

CREATE TABLE epochs (
    run_id              VARCHAR NOT NULL,
    epoch               INTEGER NOT NULL,
    lr                  DOUBLE,
    train_loss          DOUBLE,
    train_acc           DOUBLE,
    test_loss           DOUBLE,
    test_acc            DOUBLE,
    pre_prune_test_acc  DOUBLE,
    params_remaining    BIGINT,
    seconds             DOUBLE,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE prune_events (
    run_id           VARCHAR NOT NULL,
    epoch            INTEGER NOT NULL,
    acc_before       DOUBLE NOT NULL,
    acc_after        DOUBLE NOT NULL,
    drop_pp          DOUBLE NOT NULL,
    instability_rel  DOUBLE NOT NULL,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE prune_layers (
    run_id       VARCHAR NOT NULL,
    epoch        INTEGER NOT NULL,
    layer        VARCHAR NOT NULL,
    k_pruned     BIGINT NOT NULL,
    alive_after  BIGINT NOT NULL,
    score_mean   DOUBLE,
    score_min    DOUBLE,
    score_max    DOUBLE,
    PRIMARY KEY (run_id, epoch, layer)
);
