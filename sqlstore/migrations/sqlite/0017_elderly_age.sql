-- The age from which a person living alone counts as elderly was the
-- constant 60 in code: it is a policy row now, which exposure snapshots
-- record with their weights.
INSERT INTO policies (key, region_code, value, unit, effective_from, source, created_at) VALUES
('elderly.age', '000000000000', 60, 'years', '2013-01-01', '《中华人民共和国老年人权益保障法》第二条：本法所称老年人是指六十周岁以上的公民', '2026-01-01 00:00:00+00:00');
