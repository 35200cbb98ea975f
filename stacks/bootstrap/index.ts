// The bootstrap program: a tenant administrator runs it once per tenant, signed in as themselves (the azuread
// provider's default Azure CLI or environment sign-in), to make the operator identity the main stack signs in
// with. Its outputs are exactly that tenant's settings in the main stack, and the commands that copy them.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { copyCommands } from "./commands";
import { BOOTSTRAP_PROJECT, readBootstrapConfig } from "./config";
import { OperatorIdentity } from "./operatorIdentity";

// Not in the SDK's typings, but exported by it: whether the engine handed a key over as a secret.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

const config = new pulumi.Config(BOOTSTRAP_PROJECT);
// Relative paths in the stack file are relative to the bootstrap's Pulumi.yaml (the engine tells us where it
// is); the program itself runs from dist/, so the working directory is not that.
const root = pulumi.runtime.getRootDirectory();
const baseDir = path.isAbsolute(root) ? root : process.cwd();
const settings = readBootstrapConfig(
  (k) => config.get(k),
  (k) => runtimeConfig.isConfigSecret(k),
  baseDir,
);

const operator = new OperatorIdentity(`operator-${settings.role}`, {
  displayName: settings.displayName,
  credential: settings.credential,
});

const credential = settings.credential;
const commands = pulumi
  .all([operator.tenantId, operator.domain, operator.clientId])
  .apply(([tenantId, domain, clientId]) =>
    copyCommands({
      role: settings.role,
      pairStack: settings.pairStack,
      bootstrapStack: pulumi.getStack(),
      tenantId,
      domain,
      clientId,
      credential:
        credential.kind === "certificate"
          ? { kind: "certificate", path: credential.path, hasPassword: credential.hasPassword }
          : { kind: "clientSecret" },
    }).join("\n"),
  );

// Only the keys this tenant's credential needs: a certificate stack has no clientSecret output and vice versa.
const outputs: Record<string, pulumi.Input<string>> = {
  role: settings.role,
  tenantId: operator.tenantId,
  domain: operator.domain,
  clientId: operator.clientId,
  auth: credential.kind,
};
if (credential.kind === "certificate") {
  outputs.certificatePath = credential.path;
  if (credential.hasPassword) outputs.certificatePassword = config.requireSecret("certificatePassword");
} else {
  outputs.clientSecret = operator.clientSecret!;
}
outputs.configCommands = commands;

export = outputs;
