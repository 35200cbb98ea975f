// The values binding hands a cmdlet for the parameter types that are not plain JSON: a multi-valued
// Add/Remove delta, a SecureString and a PSCredential (both kept opaque).

/** `{"@odata.type":"#Exchange.GenericHashTable","Add":[...],"Remove":[...]}` after binding. */
export class MultiValueDelta {
  constructor(
    public readonly add: unknown[],
    public readonly remove: unknown[],
  ) {}
}

/** A SecureString value: kept opaque so it never reaches a rendered object, a log or a state file. */
export class Secret {
  constructor(private readonly plain: string) {}
  reveal(): string {
    return this.plain;
  }
  toJSON(): string {
    return "System.Security.SecureString";
  }
}

export class Credential {
  constructor(
    public readonly userName: string,
    private readonly password: Secret,
  ) {}
  reveal(): string {
    return this.password.reveal();
  }
  toJSON(): object {
    return { UserName: this.userName, Password: "System.Security.SecureString" };
  }
}
