-- Eigenpairs whose relative residual ‖Hv − λv‖/|λ| is above `residual_bound` are not known to be eigenpairs (some
-- eigenvalue lies within residual·|λ| of λ, no closer): each row counts them. Earlier rows are counted from their
-- stored residuals (a missing residual counts as unresolved).
ALTER TABLE flatness ADD COLUMN unresolved INTEGER;
ALTER TABLE flatness ADD COLUMN residual_bound DOUBLE;
UPDATE flatness SET residual_bound = 0.1,
    unresolved = (SELECT count(*) FROM unnest(flatness.residuals) AS t(r) WHERE r IS NULL OR NOT (r <= 0.1));
