/** A confirmation dialog; with `needsReason`, the action cannot be confirmed without a reason. */
import { useState } from 'react';

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
        data-testid="confirm"
        onClick={(e) => e.stopPropagation()}
      >
        <h3>{pending.title}</h3>
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
