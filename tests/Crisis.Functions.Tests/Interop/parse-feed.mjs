// Parses the feed on standard input with the "feedparser" package and prints its type and items as JSON.
// Exits non-zero when the feed does not parse.
import FeedParser from "feedparser";

const parser = new FeedParser({ strict: true });
const items = [];
parser.on("error", (error) => {
  console.error(error.message);
  process.exit(1);
});
parser.on("readable", function () {
  let item;
  while ((item = this.read())) items.push({ guid: item.guid, title: item.title, description: item.description });
});
parser.on("end", function () {
  console.log(JSON.stringify({ type: this.meta["#type"] + this.meta["#version"].replace(".", ""), title: this.meta.title, items }));
});
process.stdin.pipe(parser);
