// Reads and writes entities and blobs with the official Azure SDKs for JavaScript, so the tests can check
// that what our C# clients write is what the SDKs read, and the reverse.
// Usage: node sdk-interop.mjs <command> '<json arguments>'   (prints one JSON result line)
import { TableClient, AzureNamedKeyCredential } from "@azure/data-tables";
import { BlobServiceClient } from "@azure/storage-blob";

const [command, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs);

function settings(connectionString) {
  const map = Object.fromEntries(connectionString.split(";").filter(Boolean).map((part) => {
    const i = part.indexOf("=");
    return [part.slice(0, i), part.slice(i + 1)];
  }));
  return map;
}

function tableClient() {
  const s = settings(args.connectionString);
  return new TableClient(s.TableEndpoint, args.table, new AzureNamedKeyCredential(s.AccountName, s.AccountKey), { allowInsecureConnection: true });
}

function containerClient() {
  return BlobServiceClient.fromConnectionString(args.connectionString).getContainerClient(args.container);
}

const commands = {
  async readEntity() {
    const entity = await tableClient().getEntity(args.partitionKey, args.rowKey, { disableTypeConversion: true });
    const properties = {};
    for (const [name, value] of Object.entries(entity)) {
      if (["partitionKey", "rowKey", "etag", "timestamp", "odata.metadata"].includes(name)) continue;
      properties[name] = value;
    }
    return { partitionKey: entity.partitionKey, rowKey: entity.rowKey, properties };
  },
  async writeEntity() {
    const client = tableClient();
    await client.createTable();
    await client.createEntity({
      partitionKey: args.partitionKey,
      rowKey: args.rowKey,
      Text: "Grüße, نشانی, ગુજરાતી, 😀",
      Int: 42,
      Long: { value: "9007199254740993", type: "Int64" },
      Double: 2.5,
      WholeDouble: { value: "3", type: "Double" },
      Flag: true,
      When: new Date("2026-03-14T15:09:26.535Z"),
      Id: { value: "0f8fad5b-d9cb-469f-a165-70867728950e", type: "Guid" },
      Bytes: new Uint8Array([0, 1, 2, 254, 255]),
    });
    return { written: true };
  },
  async readBlob() {
    const blob = containerClient().getBlockBlobClient(args.name);
    const properties = await blob.getProperties();
    const content = await blob.downloadToBuffer();
    return { contentBase64: content.toString("base64"), contentType: properties.contentType, etag: properties.etag };
  },
  async writeBlob() {
    const container = containerClient();
    await container.createIfNotExists();
    const content = Buffer.from(args.contentBase64, "base64");
    const result = await container.getBlockBlobClient(args.name).upload(content, content.length, {
      blobHTTPHeaders: { blobContentType: args.contentType },
    });
    return { etag: result.etag };
  },
};

try {
  console.log(JSON.stringify(await commands[command]()));
} catch (error) {
  console.error(error?.message ?? String(error));
  process.exit(1);
}
