/**
 * Open, string-keyed registries: one per role (attackers, defences, detectors, scenarios). The built-in
 * kinds register themselves when their module loads; plugins (ES modules given with `--plugin` or a
 * spec's "plugins") register more when imported. CLI choices and spec validation read `kinds()`, so a
 * registered kind is accepted everywhere a built-in one is.
 */
import { CyrangeError } from './errors.js';

export interface RegistryOptions {
  /** Replace an existing kind instead of refusing it (a plugin overriding a built-in on purpose). */
  replace?: boolean;
}

export class Registry<E> {
  private readonly entries = new Map<string, E>();

  /** `role` names the kind in messages ("attacker", "defence", ...). */
  constructor(readonly role: string) {}

  register(kind: string, entry: E, opts: RegistryOptions = {}): void {
    if (typeof kind !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/.test(kind)) {
      throw new CyrangeError(`register ${this.role} "${String(kind)}": a kind is letters, digits, "_", ".", ":" or "-", starting with a letter or digit`);
    }
    if (this.entries.has(kind) && !opts.replace) throw new CyrangeError(`register ${this.role} "${kind}": already registered (pass { replace: true } to override it)`);
    this.entries.set(kind, entry);
  }

  has(kind: string): boolean {
    return this.entries.has(kind);
  }

  /** The entry for `kind`; an unknown kind is a CyrangeError naming `where` and the known kinds. */
  get(kind: string, where = `${this.role} kind`): E {
    const e = this.entries.get(kind);
    if (e === undefined) throw new CyrangeError(`${where}: unknown ${this.role} kind "${kind}" (known: ${this.kinds().join(', ')})`);
    return e;
  }

  /** Registered kinds, in registration order (built-ins first). */
  kinds(): string[] {
    return [...this.entries.keys()];
  }
}
