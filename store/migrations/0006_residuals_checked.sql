-- Lanczos gives a true residual (one Hessian-vector product each) to the leading pairs only and keeps its own
-- estimate |β_m·s_mi|/|θ_i| for the rest: how many leading entries of `residuals` are true. Earlier rows were all true.
ALTER TABLE flatness ADD COLUMN residuals_checked INTEGER;
UPDATE flatness SET residuals_checked = k;
