// GitHub's own REST client against Entrepot, with only `baseUrl` changed.
// usage: node octokit.mjs BASE_URL/api/v3 TOKEN USER
import { Octokit } from "@octokit/rest";

const [baseUrl, token, user] = process.argv.slice(2);
const octokit = new Octokit({ baseUrl, auth: token });
const hello = { package_type: "npm", package_name: "hello" };
const out = {};

out.login = (await octokit.rest.users.getAuthenticated()).data.login;
const mine = await octokit.paginate(octokit.rest.packages.listPackagesForAuthenticatedUser, {
  package_type: "npm",
  per_page: 100,
});
out.mine = mine.length;
const theirs = await octokit.paginate(octokit.rest.packages.listPackagesForUser, {
  username: user,
  package_type: "npm",
  per_page: 40,
});
out.theirs = theirs.length;

out.versionCount = (await octokit.rest.packages.getPackageForAuthenticatedUser(hello)).data.version_count;
const versions = (await octokit.rest.packages.getAllPackageVersionsForPackageOwnedByAuthenticatedUser(hello)).data;
out.versions = versions.map((v) => v.name);
const oldest = versions.find((v) => v.name === "1.0.0");
await octokit.rest.packages.deletePackageVersionForAuthenticatedUser({ ...hello, package_version_id: oldest.id });
const deleted = await octokit.rest.packages.getAllPackageVersionsForPackageOwnedByAuthenticatedUser({
  ...hello,
  state: "deleted",
});
out.deleted = deleted.data.map((v) => v.name);
await octokit.rest.packages.restorePackageVersionForAuthenticatedUser({ ...hello, package_version_id: oldest.id });

await octokit.rest.packages.deletePackageForAuthenticatedUser(hello);
try {
  await octokit.rest.packages.getPackageForAuthenticatedUser(hello);
  out.afterDelete = 200;
} catch (e) {
  out.afterDelete = e.status;
}
await octokit.rest.packages.restorePackageForAuthenticatedUser(hello);
out.restoredVersionCount = (await octokit.rest.packages.getPackageForAuthenticatedUser(hello)).data.version_count;
console.log(JSON.stringify(out));
