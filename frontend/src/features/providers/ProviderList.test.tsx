import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { provider } from '../../test/fixtures';
import { json, mockApi, renderWithProviders } from '../../test/render';
import { ProviderList } from './ProviderList';

describe('the provider list', () => {
  it('shows a deactivated provider as taking no work, without their own availability switch', async () => {
    mockApi({
      'GET /api/v1/providers': () =>
        json(200, [
          provider({ id: 1, name: 'Priya Patel' }),
          provider({ id: 2, name: 'Sam Smith', active: false, deactivated_at: '2030-01-02T09:00:00Z' }),
        ]),
      'GET /api/v1/service-types': () => json(200, [{ name: 'plumbing', duration_minutes: 120, providers: 1 }]),
    });
    renderWithProviders(<ProviderList />, { route: '/admin/providers', as: 'admin' });
    const [priya, sam] = await screen.findAllByRole('listitem');
    expect(within(priya).getByRole('switch', { name: 'Available' })).toBeChecked();
    expect(within(sam).queryByRole('switch')).toBeNull();
    expect(sam).toHaveTextContent('Deactivated: offered no work');
  });
});
