-- Fig A1 probe: density of BN-normalised activations per layer and epoch (epoch 0 = untrained).
CREATE TABLE bn_activations (
    run_id       VARCHAR NOT NULL,
    epoch        INTEGER NOT NULL,
    layer        VARCHAR NOT NULL,
    bin_edges    DOUBLE[] NOT NULL,
    density      DOUBLE[] NOT NULL,
    mean         DOUBLE,
    std          DOUBLE,
    skewness     DOUBLE,
    kurtosis     DOUBLE,
    ks_distance  DOUBLE,
    PRIMARY KEY (run_id, epoch, layer)
);
