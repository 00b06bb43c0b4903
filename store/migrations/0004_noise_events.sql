-- Noise in place of pruning (method-later.md §1, §6.11, §6.14): noise events share the pruning tables.
-- kind: 'prune' for permanent pruning, else the run's prune.noise value (Prune_L, iter_129_zeroing, ...).
ALTER TABLE prune_events ADD COLUMN kind VARCHAR DEFAULT 'prune';
-- Forwards noised (or zeroed) by the event's windows, largest over its layers; NULL while a window is open.
ALTER TABLE prune_events ADD COLUMN noised_train_forwards BIGINT;
ALTER TABLE prune_events ADD COLUMN noised_eval_forwards BIGINT;
-- Units of the layer ever selected (this event included) vs permanently removed (0 under temporary noise).
ALTER TABLE prune_layers ADD COLUMN targeted_total BIGINT;
ALTER TABLE prune_layers ADD COLUMN removed_total BIGINT;
-- This layer's window: training and eval forwards it noised; complete = false if a later event cut it short
-- or the run ended inside it.
ALTER TABLE prune_layers ADD COLUMN noised_train_forwards BIGINT;
ALTER TABLE prune_layers ADD COLUMN noised_eval_forwards BIGINT;
ALTER TABLE prune_layers ADD COLUMN window_complete BOOLEAN;
