import type { ReactNode } from 'react';
import type { ServiceType, ServiceTypeName } from '../../api/types';
import { CheckboxGroup } from '../../ui/CheckboxGroup';
import { TextField } from '../../ui/Field';

/** The details every provider form asks for: adding one and editing one alike. */
export interface ProviderFieldValues {
  name: string;
  email: string;
  phone: string;
  service_types: ServiceTypeName[];
}

/** The messages for what is missing from the shared details, keyed by field name. */
export function missingProviderFields(v: ProviderFieldValues): Record<string, string> {
  const errs: Record<string, string> = {};
  if (!v.name.trim()) errs.name = 'Enter the provider’s name.';
  if (!v.email.trim()) errs.email = 'Enter an e-mail address.';
  if (!v.service_types.length) errs.service_types = 'Choose at least one service.';
  return errs;
}

/**
 * A provider's name, e-mail, phone and services as fields of a `form-grid`, ids prefixed with
 * `idPrefix`. What a form asks beyond these (`children`) stands between the phone and the
 * services.
 */
export function ProviderFields({
  idPrefix,
  values,
  serviceTypes,
  error,
  emailHint,
  onChange,
  children,
}: {
  idPrefix: string;
  values: ProviderFieldValues;
  serviceTypes: ServiceType[];
  /** The message to show under a field, by its name. */
  error: (name: string) => string | undefined;
  emailHint?: ReactNode;
  onChange: (change: Partial<ProviderFieldValues>) => void;
  children?: ReactNode;
}) {
  const set = (k: 'name' | 'email' | 'phone') => (e: { target: { value: string } }) => onChange({ [k]: e.target.value });
  return (
    <>
      <TextField
        id={`${idPrefix}-name`}
        name="name"
        label="Name"
        required
        value={values.name}
        error={error('name')}
        onChange={set('name')}
      />
      <TextField
        id={`${idPrefix}-email`}
        name="email"
        label="E-mail"
        type="email"
        required
        hint={emailHint}
        value={values.email}
        error={error('email')}
        onChange={set('email')}
      />
      <TextField
        id={`${idPrefix}-phone`}
        name="phone"
        label="Phone (optional)"
        type="tel"
        value={values.phone}
        error={error('phone')}
        onChange={set('phone')}
      />
      {children}
      <div className="span-all">
        <CheckboxGroup
          idPrefix={`${idPrefix}-service`}
          name="service_types"
          legend="Services offered"
          options={serviceTypes.map((t) => ({ value: t.name, label: t.label }))}
          value={values.service_types}
          error={error('service_types')}
          onChange={(service_types) => onChange({ service_types })}
        />
      </div>
    </>
  );
}
