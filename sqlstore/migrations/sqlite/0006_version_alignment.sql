-- No schema change. PostgreSQL needed one migration more than SQLite so
-- far (0005, bytewise collation of codes, which SQLite has by default), so
-- the engines' numbers drifted apart: SQLite 0005 is PostgreSQL 0006. This
-- empty step puts them back in line; from here on a migration has the same
-- number on both engines (TestMigrationVersionsAlign checks it).
SELECT 1;
