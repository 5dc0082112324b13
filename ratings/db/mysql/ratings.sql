-- ratings v2's MySQL schema and seed: database `test`, table `ratings`, one row per review.
-- ratings reads `SELECT Rating FROM ratings ORDER BY ReviewID LIMIT 2`: the first row is
-- Reviewer1's stars, the second Reviewer2's.
-- Loaded by ratings' tests (ratings/tests/api/mysql.rs) and embedded in the platform manifests;
-- safe to run again (nothing is created twice, and existing rows are left as they are).
CREATE DATABASE IF NOT EXISTS test;
USE test;

CREATE TABLE IF NOT EXISTS ratings (
  ReviewID INT NOT NULL,
  Rating INT,
  PRIMARY KEY (ReviewID)
);

INSERT IGNORE INTO ratings (ReviewID, Rating) VALUES
  (1, 5),
  (2, 4);
