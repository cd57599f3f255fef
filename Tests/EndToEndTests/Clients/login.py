"""The login the test clients share: paramiko with the test user's ed25519
key, any host key, nothing from the agent or ~/.ssh."""
import paramiko


def connect(host, port, user, keyfile):
    """A logged-in paramiko SSHClient."""
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect(host, port=int(port), username=user, pkey=paramiko.Ed25519Key.from_private_key_file(keyfile),
                   allow_agent=False, look_for_keys=False, timeout=10)
    return client
