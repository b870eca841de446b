-- 0007: run labels and component inventories, for baselines
-- (docs/runs.md "Labels and baselines"). A label (main, release/1.4) is not
-- part of a run's id: recording the same run again with another label adds
-- it; labelled_at (wall clock) orders `latest:LABEL`. components is the
-- run's component inventory (JSON, docs/output.md "Delta against a
-- baseline"), so a later build can tell what was added, removed or upgraded.

CREATE TABLE run_labels (
	tenant      TEXT NOT NULL,
	run_id      TEXT NOT NULL,
	label       TEXT NOT NULL,
	labelled_at TEXT NOT NULL,
	PRIMARY KEY (tenant, run_id, label),
	FOREIGN KEY (tenant, run_id) REFERENCES runs (tenant, run_id) ON DELETE CASCADE
) STRICT;
CREATE INDEX run_labels_label ON run_labels (tenant, label, labelled_at);

CREATE TABLE run_components (
	tenant     TEXT NOT NULL,
	run_id     TEXT NOT NULL,
	components TEXT NOT NULL,
	PRIMARY KEY (tenant, run_id),
	FOREIGN KEY (tenant, run_id) REFERENCES runs (tenant, run_id) ON DELETE CASCADE
) STRICT;
