// Booking through the customer's form, as a person does: shared by the flows that need a
// booking made in the browser.
import { slotStart } from './system.mjs';

/**
 * Books through the customer form, at `hour`:00 (UTC, the service area's zone here) `days`
 * from today, or at the first start offered (`soonest`), picked from the slots offered; returns the new booking's id (from the page it
 * lands on).
 */
export async function bookThroughForm(customer, { service, address, shot, days = 2, hour = 10, soonest = false }) {
  const { page } = customer;
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Book a service' }).click();
  await page.getByLabel('Service', { exact: true }).selectOption(service);
  if (soonest) await page.locator('input[name=starts_at]').first().check();
  else await pickSlot(page, slotStart(days, hour));
  await page.getByLabel('Phone', { exact: true }).fill('+1 555 010 0199');
  await page.getByLabel('Address', { exact: true }).fill(address);
  await page.getByLabel('Notes (optional)').fill('Ring twice, please.');
  if (shot) await customer.shot(shot);
  await page.getByRole('button', { name: 'Book service' }).click();
  await page.waitForURL(/\/bookings\/\d+$/);
  return Number(/\/bookings\/(\d+)$/.exec(page.url())[1]);
}

/** Picks the start `iso` in the form's slot picker: its day, then its time. */
export async function pickSlot(page, iso) {
  await page.getByLabel('Day', { exact: true }).selectOption(iso.slice(0, 10));
  await page.locator(`input[type=radio][value="${iso.replace('.000Z', 'Z')}"]`).check();
}
