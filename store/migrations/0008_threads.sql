-- The CPU intra-op threads each run trains with: its numbers depend on them (summation order), so a resumed run
-- keeps them and `gst runs`/SQL can tell which runs are bitwise comparable. NULL: recorded by an older gst.
ALTER TABLE runs ADD COLUMN threads INTEGER;
