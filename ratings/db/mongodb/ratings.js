// ratings v2's MongoDB seed, for the mongo image's /docker-entrypoint-initdb.d (mongosh runs it
// once, on an empty data directory): collection `ratings` in database `test`, one document per
// review. ratings reads the first two documents by `_id`: the first is Reviewer1's stars, the
// second Reviewer2's. The `_id`s are given so that order never depends on how ids are made.
const ratingsDb = db.getSiblingDB('test');
ratingsDb.ratings.insertMany([
  { _id: 1, rating: 5 },
  { _id: 2, rating: 4 },
]);
