// Validates an OpenAPI document with @apidevtools/swagger-parser (the OpenAPI 3.x JSON schemas and its own checks).
// Usage: node validate-openapi.mjs < document.json  (exit 0 and "valid" when valid, else exit 1 and the reasons)
import { readFileSync } from "node:fs";
import SwaggerParser from "@apidevtools/swagger-parser";

const document = JSON.parse(readFileSync(0, "utf8"));
try {
  await SwaggerParser.validate(document);
  console.log("valid");
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
