/**
 * A confirmation dialog; with `needsReason`, the action cannot be confirmed without a reason. Operable from the
 * keyboard: the reason box has the focus, Tab and Shift+Tab stay inside the dialog, Escape cancels.
 */
import { useId, useState, type KeyboardEvent } from 'react';

/** Keeps Tab and Shift+Tab inside the dialog (its controls that can take the focus), as a modal dialog should. */
function trapTab(e: KeyboardEvent<HTMLDivElement>): void {
  if (e.key !== 'Tab') return;
  const focusable = [...e.currentTarget.querySelectorAll<HTMLElement>('textarea, button:not([disabled])')];
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (!first || !last) return;
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

export interface Pending {
  title: string;
  detail: string;
  needsReason: boolean;
  danger?: boolean;
  run: (reason: string) => Promise<void>;
}

export function Confirm({ pending, onClose }: { pending: Pending; onClose: () => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const title = useId();
  const ok = !pending.needsReason || reason.trim().length > 0;
  const go = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await pending.run(reason.trim());
      onClose();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <div className="backdrop" onClick={onClose}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={title}
        data-testid="confirm"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && !busy) onClose();
          else trapTab(e);
        }}
      >
        <h3 id={title}>{pending.title}</h3>
        <p>{pending.detail}</p>
        <label>
          reason{pending.needsReason ? ' (required)' : ' (optional)'}
          <textarea
            autoFocus
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            data-testid="reason"
          />
        </label>
        {error && <p className="error">{error}</p>}
        <div className="actions">
          <button onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button
            className={pending.danger ? 'danger' : 'primary'}
            disabled={!ok || busy}
            onClick={() => void go()}
            data-testid="confirm-ok"
          >
            {busy ? 'Working…' : 'Confirm'}
          </button>
        </div>
      </div>
    </div>
  );
}
