-- method-later §2: curvature and flatness of a run at a measured epoch, and its ε-perturbation table.
CREATE TABLE flatness (
    run_id                   VARCHAR NOT NULL,
    epoch                    INTEGER NOT NULL,  -- row epoch (t + 1), measured before that epoch's pruning
    method                   VARCHAR NOT NULL,  -- lanczos | power_parity
    split                    VARCHAR NOT NULL,  -- test | train
    n_examples               INTEGER NOT NULL,
    k                        INTEGER NOT NULL,
    eigenvalues              DOUBLE[] NOT NULL, -- the k largest by |λ|, sorted by value descending
    residuals                DOUBLE[] NOT NULL, -- ‖Hv − λv‖ / |λ| per pair
    steps                    INTEGER[] NOT NULL,
    hvps                     INTEGER NOT NULL,
    eig_sum                  DOUBLE,            -- signed sum of the k eigenvalues ("Hessian top-k sum")
    eig_sum_positive         DOUBLE,
    lambda_max               DOUBLE,
    lambda_min               DOUBLE,
    grad_sq_trace            DOUBLE,            -- Tr C, uncentered (the authors' grad_covariance_trace)
    grad_cov_trace_centered  DOUBLE,
    hutchinson_trace         DOUBLE,            -- NULL when no probes were asked for
    tic                      DOUBLE,            -- grad_sq_trace / eig_sum
    eps_star                 DOUBLE,            -- NULL when no direction reaches Δ test loss ≥ 0.1 on the grid
    test_loss                DOUBLE,            -- unperturbed (ε = 0) test loss and accuracy
    test_acc                 DOUBLE,
    seconds_hessian          DOUBLE,
    seconds_noise            DOUBLE,
    seconds_perturb          DOUBLE,
    PRIMARY KEY (run_id, epoch)
);

CREATE TABLE perturbation (
    run_id     VARCHAR NOT NULL,
    epoch      INTEGER NOT NULL,
    vec_index  INTEGER NOT NULL,  -- 0 = the first eigenvector in sorted order
    eps        DOUBLE NOT NULL,
    test_loss  DOUBLE NOT NULL,
    test_acc   DOUBLE NOT NULL,
    PRIMARY KEY (run_id, epoch, vec_index, eps)
);
