// The services' MongoDB user: readWrite on their database only (CFA_MONGODB_URL carries it,
// with authSource= that database). The mongo image runs this once, from
// /docker-entrypoint-initdb.d, when it creates the root user on an empty data volume.
const name = process.env.MONGO_APP_USERNAME;
const database = process.env.MONGO_APP_DB;
const password = process.env.MONGO_APP_PASSWORD;
if (!name || !database || !password) {
  throw new Error("MONGO_APP_USERNAME, MONGO_APP_DB and MONGO_APP_PASSWORD must be set");
}
db.getSiblingDB(database).createUser({
  user: name,
  pwd: password,
  roles: [{ role: "readWrite", db: database }],
});
print(`created user ${name} with readWrite on ${database}`);
