-- The device list is filtered by department and sorted; these let SQLite walk an index in order
-- and stop after one page instead of sorting every matching row. They cover live devices only, so
-- counting a department's devices never touches the table.
CREATE INDEX devices_department_number ON devices (department, management_number) WHERE deleted_at IS NULL;
CREATE INDEX devices_department_name ON devices (department, name) WHERE deleted_at IS NULL;
CREATE INDEX devices_name ON devices (name) WHERE deleted_at IS NULL;
CREATE INDEX devices_live_number ON devices (management_number) WHERE deleted_at IS NULL;
