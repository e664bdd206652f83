"""Who vouches for an event that came over Kafka: the signature it carries, checked against
the registry (a project's current public key) or the Secretariat's key."""

from __future__ import annotations

from collections.abc import Mapping

from shared.domain.projects import RegisteredProject
from shared.events.envelope import SOURCE_PATTERN
from shared.events.keys import verify_project
from shared.events.signing import (
    SECRETARIAT_KEY_ID,
    SIGNATURE_ATTRIBUTE,
    Proof,
    verify_secretariat,
)
from shared.trust import Principal, Unproven

# Nobody (None), a principal, or a proof that does not hold (and why).
Vouch = Principal | Unproven | None


def verify_proof(proof: Proof, projects: Mapping[str, RegisteredProject], secretariat_key: bytes) -> Vouch:
    signature = proof.signature
    if signature is None:
        return Unproven(f"{SIGNATURE_ATTRIBUTE} is malformed: it must be <key id>.<base64url signature>")
    if signature.key_id == SECRETARIAT_KEY_ID:
        if verify_secretariat(signature, proof.message, secretariat_key):
            return Principal.secretariat()
        return Unproven(f"the {SIGNATURE_ATTRIBUTE} does not hold for the Secretariat's key")
    match = SOURCE_PATTERN.match(proof.source)
    project = projects.get(match["project_id"]) if match else None
    if project is None:
        return Unproven("the source is no registered project, so no key of its can sign")
    if project.signing_key is None or project.signing_key_id is None:
        return Unproven(
            f"project {project.project_id} has no signing key yet (`cfamon projects token` issues one)"
        )
    if signature.key_id != project.signing_key_id:
        return Unproven(
            f"signed with a key that is not project {project.project_id}'s current signing key "
            f"({project.signing_key_id}; replaced by `cfamon projects token`?)"
        )
    if not verify_project(signature, proof.message, project.signing_key):
        return Unproven(
            f"the {SIGNATURE_ATTRIBUTE} does not hold: the event was changed after it was signed, "
            "or its signing input was not formed as the README says"
        )
    return Principal(project.project_id)
