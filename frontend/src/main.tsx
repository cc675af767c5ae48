// The global sheets first, so that every component's own stylesheet comes after them.
import './app/styles/base.css';
import './app/styles/layout.css';
import './ui/controls.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { runEffectsAtOnce } from './app/effects';
import { createQueryClient } from './app/queryClient';

runEffectsAtOnce();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App queryClient={createQueryClient()} />
  </StrictMode>,
);
