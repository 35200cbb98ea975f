// The operator identity in one tenant, as ordinary Entra configuration through @pulumi/azuread: an
// application and its service principal, one credential, the application permissions of grants.ts with admin
// consent (an app role assignment each), and the Exchange Administrator role. Nothing else: no delegated
// scopes, no owners, no other roles.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { OperatorCredential } from "./config";
import {
  OPERATOR_API_GRANTS,
  OPERATOR_DIRECTORY_ROLE,
  checkedAppRoleId,
  grantResourceName,
  requiredResourceAccesses,
} from "./grants";

export interface OperatorIdentityArgs {
  displayName: string;
  credential: OperatorCredential;
}

export class OperatorIdentity extends pulumi.ComponentResource {
  readonly application: azuread.Application;
  readonly servicePrincipal: azuread.ServicePrincipal;
  readonly certificate?: azuread.ApplicationCertificate;
  readonly password?: azuread.ApplicationPassword;
  readonly consents: azuread.AppRoleAssignment[] = [];
  readonly exchangeAdministrator: azuread.DirectoryRoleAssignment;
  /** The tenant the administrator signed in to: where all of this lives. */
  readonly tenantId: pulumi.Output<string>;
  /** The tenant's initial domain (`*.onmicrosoft.com`). */
  readonly domain: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  /** The client secret (credential kind clientSecret only); always a Pulumi secret. */
  readonly clientSecret?: pulumi.Output<string>;

  constructor(name: string, args: OperatorIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("xtmm:bootstrap:OperatorIdentity", name, {}, opts);
    const parent = { parent: this };

    const client = azuread.getClientConfigOutput(parent);
    this.tenantId = client.tenantId;
    this.domain = azuread.getDomainsOutput({ onlyInitial: true }, parent).domains.apply((ds) => {
      const initial = ds.find((d) => d.initial) ?? ds[0];
      if (!initial)
        throw new Error(
          "The signed-in tenant reports no initial domain; is the Azure CLI signed in to the right tenant?",
        );
      return initial.domainName;
    });

    this.application = new azuread.Application(
      "operator",
      {
        displayName: args.displayName,
        signInAudience: "AzureADMyOrg",
        // A second bootstrap (lost state, another backend) stops instead of making a twin with the same name.
        preventDuplicateNames: true,
        notes:
          "xtmm operator identity, made by stacks/bootstrap. Its permissions are providers/tenant/permissions.ts; change them there.",
        requiredResourceAccesses: requiredResourceAccesses(),
      },
      parent,
    );
    this.clientId = this.application.clientId;

    this.servicePrincipal = new azuread.ServicePrincipal("operator", { clientId: this.application.clientId }, parent);

    if (args.credential.kind === "certificate") {
      const c = args.credential.certificate;
      this.certificate = new azuread.ApplicationCertificate(
        "operator",
        {
          applicationId: this.application.id,
          type: "AsymmetricX509Cert",
          encoding: "pem",
          value: c.pem,
          // Entra refuses a key credential whose dates lie outside the certificate's; take them from it.
          startDate: c.startDate,
          endDate: c.endDate,
        },
        parent,
      );
    } else {
      this.password = new azuread.ApplicationPassword(
        "operator",
        {
          applicationId: this.application.id,
          displayName: "xtmm operator",
          ...(args.credential.endDate ? { endDate: args.credential.endDate } : {}),
        },
        parent, // the SDK already declares `value` an additional secret output: encrypted in state
      );
      this.clientSecret = pulumi.secret(this.password.value);
    }

    // Admin consent for application permissions is an app role assignment to the operator's service principal.
    // The resource's service principal is looked up, never managed: it is Microsoft's.
    for (const grant of OPERATOR_API_GRANTS) {
      const resource = azuread.getServicePrincipalOutput({ clientId: grant.resourceAppId }, parent);
      for (const permission of grant.permissions) {
        this.consents.push(
          new azuread.AppRoleAssignment(
            `consent/${grantResourceName(grant, permission)}`,
            {
              appRoleId: resource.appRoleIds.apply((published) => checkedAppRoleId(grant, permission, published)),
              principalObjectId: this.servicePrincipal.objectId,
              resourceObjectId: resource.objectId,
            },
            parent,
          ),
        );
      }
    }

    // A built-in role is assigned by its template id; no directory role activation is needed.
    this.exchangeAdministrator = new azuread.DirectoryRoleAssignment(
      "role/exchange-administrator",
      {
        roleId: OPERATOR_DIRECTORY_ROLE.templateId,
        principalObjectId: this.servicePrincipal.objectId,
        directoryScopeId: OPERATOR_DIRECTORY_ROLE.directoryScopeId,
      },
      parent,
    );

    this.registerOutputs({
      tenantId: this.tenantId,
      domain: this.domain,
      clientId: this.clientId,
      servicePrincipalObjectId: this.servicePrincipal.objectId,
    });
  }
}
