-- A household's page lists the warnings that reached it and how each
-- person was confirmed: field tasks read by household.
CREATE INDEX field_tasks_household ON field_tasks (household_id, id);
